"""The indicator checklist shared by inspections and welfare visits, and anonymous referral records."""
