"""The Scraper contract and the shared bases a source module is built on: platform crawls
(A–Z list, topic list, NAKOS), labelled detail pages and the HTML helpers they share."""
