"""Meetings, invitations, answers, reminders and calendar feeds."""
