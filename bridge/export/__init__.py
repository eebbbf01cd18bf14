"""After the meeting: the briefing as a static web site, a PDF handout, and every step as text."""
