"""triage: reads a mailbox for recruiter mail, classifies each approach, drafts a reply."""
