"""Conversation state machines: plain Python, no Flask, no database, no I/O."""
