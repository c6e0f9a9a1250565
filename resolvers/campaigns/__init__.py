"""SMS campaigns: thin resolvers over domain/campaigns."""
