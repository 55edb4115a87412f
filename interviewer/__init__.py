"""interviewer: an offline, LLM-free mock interview coach for system-design interviews."""

__version__ = "0.1.0"
