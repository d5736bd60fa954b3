"""Amazon Selling Partner data: report parsing (pure) and, later, the SP-API client."""
