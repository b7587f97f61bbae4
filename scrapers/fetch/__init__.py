"""The fetch layer: the polite HTTP client, its conditional checks, WARC archiving and replay,
crawl budgets, charset detection and bounded decoding. Sources reach the network only here."""
