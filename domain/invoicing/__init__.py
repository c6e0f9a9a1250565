"""Invoicing: invoices, lines, taxes, drafts (and drafting from prompts), payments."""
