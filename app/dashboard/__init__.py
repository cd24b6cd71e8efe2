"""The action plan dashboard, the quarterly data share with partners, and partners' submissions."""
