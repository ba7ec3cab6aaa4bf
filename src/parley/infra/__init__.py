"""Infrastructure the domain may use: crypto, mail, outbound HTTP, media storage."""
