"""The SQL of ``bench/sweep.py``: the set-based load of running clocks, and the
hand-written, set-based sweep that the real ``sweep()`` is measured against.

Kept apart from the script so that each statement reads as SQL. Values come
in as psycopg parameters (``%(name)s``); only table and column names, which
come from the models, are put into the text.

The hand-written sweep does the work the real sweep must do for the
benchmark's due clocks, and nothing more clever: per batch of 500 due clocks,
ONE statement locks them (``FOR UPDATE OF clock SKIP LOCKED``), works out the
steps due and not yet raised, inserts their escalations, inserts a delivery
per channel to the person on call (override first, then the shift), and moves
each clock's ``next_escalation_at`` to its next step not raised. After the
batches: the storm notice (one per service past the threshold, on conflict
nothing), the repeat lookup and the lost-delivery lookup, as the sweep runs
them. Subjects and bodies are composed in SQL with the same lines as the
real messages; their text is not compared (the rows' keys, times, channels,
recipients and statuses are: see ``rows_written``).
"""

SWEEP_BATCH = """
WITH due AS (
    SELECT c.id, c.kind, c.started_at, c.due_at, r.id AS referral_id, r.reference,
           r.category, r.escalation_policy_id AS policy_id, r.service_id
      FROM pathways_clock c
      JOIN referrals_referral r ON r.id = c.referral_id
     WHERE c.status = 'running' AND c.next_escalation_at <= %(now)s
     ORDER BY c.next_escalation_at
     LIMIT %(batch)s
       FOR UPDATE OF c SKIP LOCKED
), timed AS (
    SELECT d.*, s.id AS step_id, s.position, s."when", s.fraction, s.delay, s.recipient,
           s.channels, s.repeat_every,
           CASE s."when"
               WHEN 'warning' THEN d.due_at - (d.due_at - d.started_at) * s.fraction
               WHEN 'at_due' THEN d.due_at
               ELSE d.due_at + s.delay
           END AS fire_at
      FROM due d
      JOIN notifications_escalationstep s ON s.policy_id = d.policy_id
     WHERE d.due_at IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM notifications_escalation e
                        WHERE e.clock_id = d.id AND e.step_id = s.id)
), fired AS (
    SELECT t.*, gen_random_uuid() AS escalation_id FROM timed t WHERE t.fire_at <= %(now)s
), escalations AS (
    INSERT INTO notifications_escalation
           (id, clock_id, step_id, fire_at, raised_at, acknowledged_at, acknowledged_by_id,
            round, next_repeat_at, superseded_by_id, superseded_at)
    SELECT f.escalation_id, f.id, f.step_id, f.fire_at, %(now)s, NULL, NULL,
           0, %(now)s + f.repeat_every, NULL, NULL
      FROM fired f
    RETURNING id
), on_call AS (
    SELECT v.role, v.service_id, u.id AS user_id, u.email
      FROM (SELECT DISTINCT f.service_id, x.role
              FROM fired f,
                   (VALUES ('coordinator'), ('senior_clinician')) AS x(role)) v
      JOIN referrals_user u ON u.is_active AND u.id = COALESCE(
           (SELECT o.user_id FROM notifications_rotaoverride o
             WHERE o.service_id = v.service_id AND o.role = v.role
               AND o.starts_at <= %(now)s AND o.ends_at > %(now)s
             ORDER BY o.created_at DESC, o.id DESC LIMIT 1),
           (SELECT s.user_id FROM notifications_shift s
             WHERE s.service_id = v.service_id AND s.role = v.role
               AND s.starts_at <= %(now)s AND s.ends_at > %(now)s
             ORDER BY s.starts_at DESC, s.id DESC LIMIT 1))
), deliveries AS (
    INSERT INTO notifications_delivery
           (id, escalation_id, round, channel, recipient_id, recipient_key, address,
            subject, body, status, attempts, created_at, sent_at, last_error, read_at)
    SELECT gen_random_uuid(), f.escalation_id, 0, ch.channel,
           CASE WHEN ch.channel = 'webhook' THEN NULL ELSE oc.user_id END,
           CASE WHEN ch.channel = 'webhook' THEN 'webhook' ELSE oc.user_id::text END,
           CASE ch.channel WHEN 'email' THEN oc.email
                           WHEN 'webhook' THEN svc.webhook_url ELSE '' END,
           left(f.reference || ': ' || initcap(f.kind) || ' due in '
                || floor(extract(epoch FROM f.due_at - %(now)s) / 60)::int || ' min', 200),
           'MSCC referral ' || f.reference || ': ' || coalesce(f.category, '') || E'.\n'
           || initcap(f.kind) || ' due in '
           || floor(extract(epoch FROM f.due_at - %(now)s) / 60)::int || ' min (due '
           || to_char(f.due_at AT TIME ZONE 'Europe/London', 'HH24:MI Dy FMDD Mon YYYY')
           || '; as of '
           || to_char(%(now)s AT TIME ZONE 'Europe/London', 'HH24:MI Dy FMDD Mon YYYY')
           || E').\nEscalation step ' || f.position || ': a warning, with '
           || coalesce(round(f.fraction * 100)::text, '-') || '%% of the target left, to '
           || f.recipient
           || E'.\nOpen ' || %(base_url)s || '/referrals/' || f.referral_id
           || '/ to act on it, and acknowledge the ' || f.kind
           || ' clock''s escalations to stop their repeats.',
           'pending', 0, %(now)s, NULL, '', NULL
      FROM fired f
      JOIN referrals_service svc ON svc.id = f.service_id
      CROSS JOIN LATERAL jsonb_array_elements_text(f.channels) AS ch(channel)
      JOIN on_call oc ON oc.service_id = f.service_id
                     AND oc.role = CASE f.recipient WHEN 'on_call_coordinator' THEN 'coordinator'
                                                    ELSE 'senior_clinician' END
     WHERE ch.channel <> 'webhook' OR svc.webhook_url <> ''
    RETURNING id
), next_steps AS (
    SELECT d.id, min(t.fire_at) FILTER (WHERE t.fire_at > %(now)s) AS next_at
      FROM due d LEFT JOIN timed t ON t.id = d.id
     GROUP BY d.id
), moved AS (
    UPDATE pathways_clock c
       SET next_escalation_at = n.next_at
      FROM next_steps n
     WHERE c.id = n.id
    RETURNING c.id
)
SELECT (SELECT count(*) FROM due),
       (SELECT count(*) FROM escalations),
       (SELECT count(*) FROM deliveries),
       (SELECT count(*) FROM moved),
       (SELECT coalesce(json_object_agg(service_id, n), '{}')
          FROM (SELECT service_id, count(*) AS n FROM fired GROUP BY service_id) per_service)
"""

# One summary per service past the threshold, to the on-call coordinator.
STORM_NOTICE = """
INSERT INTO notifications_delivery
       (id, escalation_id, round, channel, recipient_id, recipient_key, address,
        subject, body, status, attempts, created_at, sent_at, last_error, read_at)
SELECT gen_random_uuid(), NULL, 0, ch.channel, u.id,
       'storm:' || svc.id || ':'
       || to_char(%(now)s AT TIME ZONE 'Europe/London', 'YYYY-MM-DD"T"HH24'),
       CASE ch.channel WHEN 'email' THEN u.email ELSE '' END,
       left(svc.code || ': ' || %(n)s || ' referrals raised ' || %(n)s
            || ' escalations at once — open the queue', 200),
       'At ' || to_char(%(now)s AT TIME ZONE 'Europe/London', 'HH24:MI Dy FMDD Mon YYYY')
       || ' one sweep raised ' || %(n)s || ' escalations for ' || %(n)s || ' referrals of '
       || svc.code || E'.\nOpen the queue, ' || %(base_url)s || '/queue/.',
       'pending', 0, %(now)s, NULL, '', NULL
  FROM referrals_service svc
  JOIN notifications_shift s ON s.service_id = svc.id AND s.role = 'coordinator'
                            AND s.starts_at <= %(now)s AND s.ends_at > %(now)s
  JOIN referrals_user u ON u.id = s.user_id AND u.is_active
 CROSS JOIN (VALUES ('in_app'), ('email')) AS ch(channel)
 WHERE svc.id = %(service)s
ON CONFLICT DO NOTHING
"""

REPEATS = """
SELECT e.id FROM notifications_escalation e
 WHERE e.acknowledged_at IS NULL AND e.next_repeat_at <= %(now)s
 ORDER BY e.next_repeat_at LIMIT 500
   FOR UPDATE OF e SKIP LOCKED
"""

LOST = """
SELECT d.id FROM notifications_delivery d
 WHERE d.status = 'pending' AND d.created_at < %(now)s - interval '2 minutes'
 LIMIT 1000
"""

# --- the load: acknowledged referrals, each a met acknowledgement clock and a
# running MRI clock, copied from the first real referral (its patient shared:
# the sweep reads no patient). References 'MSCC-f' + 10 digits: lower case, so
# never one the service or the COPY load makes.

LOAD_REFERRALS = """
INSERT INTO referrals_referral ({columns})
SELECT {values}
  FROM referrals_referral t,
       generate_series(%(first)s::bigint, %(last)s::bigint) AS g,
       LATERAL (SELECT %(ref)s::timestamptz + %(lo)s::interval
                       + (%(hi)s::interval - %(lo)s::interval)
                         * ((g - %(start)s)::float8 / %(span)s)
                       - %(mri_first)s::interval AS received) x
 WHERE t.id = %(template)s
"""

LOAD_CLOCKS = """
INSERT INTO pathways_clock ({columns})
SELECT {values}
  FROM referrals_referral r
  JOIN pathways_clock c ON c.id = %(clock)s
 WHERE r.reference BETWEEN 'MSCC-f' || lpad(%(first)s::text, 10, '0')
                       AND 'MSCC-f' || lpad(%(last)s::text, 10, '0')
"""
