"""Inventory import: spreadsheets exported from Chinese patent databases become draft (or published) patents."""
