"""Stage 4, deliver: statements emailed to each PI exactly once (``email``), over SMTP
(``smtp``), with every message recorded in the period's delivery log."""
