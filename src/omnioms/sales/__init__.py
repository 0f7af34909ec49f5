"""Selling by people: the store counter, invoices, inquiries and quotes, manual orders."""
