"""Dialogs: forms, first-start office choice, errors."""
