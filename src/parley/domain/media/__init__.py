"""Media attachments: upload, processing (metadata stripped), attaching to posts, remote media."""
