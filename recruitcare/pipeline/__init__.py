"""The recruiter's workspace: requisitions, candidates, interviews and stage outcomes."""
