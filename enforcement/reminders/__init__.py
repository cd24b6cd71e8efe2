"""Reminders and what follows them: notifications, the mail outbox and the task list."""
