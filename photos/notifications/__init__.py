"""Notifications: who liked, commented, followed, asked, approved or mentioned; and @mentions themselves."""
