"""The planners one tick runs: each turns one kind of thing that is due into outbox rows.

``bot.scheduler.planner.PLANNERS`` lists them: the reminder ladder (``ladder``), the
late administrative files (``late_files``), the weekly digests (``digests``) and the
admins' weekly list of deadlines without a date (``unspecified``). Each is a
:data:`~bot.scheduler.planners.messages.Planner`, independent of the others; what they
share is here: the message a planner returns and how notices become one outbox row per
chat (``messages``), and which chats a notice goes to (``routing``).
"""
