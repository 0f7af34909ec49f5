"""Customer service: conversations from every source, tickets, SLAs, search."""
