"""Textual widgets, one per pane kind. A widget renders what it is given; it never polls."""
