"""Use cases that views, CLI commands and jobs call: record and correct a visit at the desk,
case status, complaints and answers about visits (witness) for citizens, publish a week, the
weekly report, staff accounts, e-mail. They flush; the edge (request, command, job) commits."""
