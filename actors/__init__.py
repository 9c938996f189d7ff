"""Concrete actors of goclaw: thin shells that receive, call plain logic and reply."""
