"""The task list: reminders people owe, what they do with them, and supervisors' team view."""
