"""The source modules named in sources.toml: one Scraper subclass each, on the shared bases."""
