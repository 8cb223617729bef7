"""Viewing: the rules of watching (started, completed, what plays next) and the recorder."""
