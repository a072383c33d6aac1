"""nmaudit: audit government new-media accounts (政务新媒体) in headless Chromium."""

__version__ = "0.1.0"
