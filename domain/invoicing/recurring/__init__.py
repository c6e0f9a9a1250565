"""Recurring invoices: schedules that issue an invoice from a template on each occurrence."""
