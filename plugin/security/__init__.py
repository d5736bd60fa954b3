"""Who is calling: Zendesk's signed launch tokens, our short-lived app tokens, webhook HMACs.

``zendesk_jwt`` verifies the RS256 token Zendesk POSTs when it loads a signed location;
``app_token`` mints and reads the short-lived token the page then uses for its own calls;
``public_keys`` finds (and caches) each installation's Zendesk app key; ``web`` is the Flask
glue. Nothing here trusts a claim before the signature over it is verified.
"""
