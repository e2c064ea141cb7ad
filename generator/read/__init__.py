"""Stage 1, read: the institution's config and registry (``data/``), where inputs live in the
repository, FOCUS files, the delivery log, and the converters that turn on-premises usage
into FOCUS (``convert/``)."""
