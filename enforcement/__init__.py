"""The domain: models, access policy, rules and workflows. Never imports Flask or the web layer."""
