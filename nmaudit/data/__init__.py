"""Data files shipped with nmaudit (the bundled 错误表述 list)."""
