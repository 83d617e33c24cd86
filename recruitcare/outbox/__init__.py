"""The outbox: messages written in the same transaction as their cause, delivered by a worker.

``services`` is what the rest of the app calls (enqueue, cancel, resend, counts); ``worker``
and ``mailer`` deliver; ``cli`` is ``flask outbox run`` and ``flask outbox status``.
"""
