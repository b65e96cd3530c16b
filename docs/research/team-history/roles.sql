-- Roles in the database, not only in the app (issue 18). Run once per team history by the
-- server's administrator (a superuser or a role with CREATEROLE), in the history's database,
-- after schema_pg.sql. Group roles hold the rights; each person logs in with their own role,
-- member of one group. The tables belong to da_owner, which nobody logs in as: an administrator
-- runs migrations with SET ROLE da_owner.

CREATE ROLE da_owner NOLOGIN;
CREATE ROLE da_office NOLOGIN;                   -- the compliance office: reads, searches, exports
CREATE ROLE da_technician NOLOGIN;               -- benches: audits, queue, imports
CREATE ROLE da_admin NOLOGIN IN ROLE da_owner;   -- enrols technician keys, accepts policies, migrates

ALTER TABLE da_meta OWNER TO da_owner;
ALTER TABLE audits OWNER TO da_owner;
ALTER TABLE scans OWNER TO da_owner;
ALTER TABLE findings OWNER TO da_owner;
ALTER TABLE actions OWNER TO da_owner;
ALTER TABLE exemptions OWNER TO da_owner;
ALTER TABLE attestations OWNER TO da_owner;
ALTER TABLE keys OWNER TO da_owner;
ALTER TABLE status_changes OWNER TO da_owner;
ALTER TABLE accepted_policies OWNER TO da_owner;
ALTER TABLE technicians OWNER TO da_owner;
ALTER TABLE settings OWNER TO da_owner;

REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO da_owner, da_office, da_technician, da_admin;  -- owner: FK checks run as it

-- Everyone reads everything (the technician's import decides duplicates and keys by reading).
GRANT SELECT ON ALL TABLES IN SCHEMA public TO da_office, da_technician, da_admin;

-- Technicians write audits and imports: rows are added, never deleted (exemptions of an audit in
-- progress are replaced), and the derived supersession columns are kept up to date.
GRANT INSERT ON audits, scans, findings, actions, exemptions, attestations, keys, status_changes
    TO da_technician, da_admin;
GRANT UPDATE ON audits, status_changes TO da_technician, da_admin;
GRANT UPDATE (identity) ON attestations TO da_technician, da_admin;
GRANT DELETE ON exemptions TO da_technician, da_admin;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO da_technician, da_admin;

-- Only the administrator enrols technicians, accepts policies and changes settings.
GRANT INSERT, UPDATE ON technicians, accepted_policies, settings TO da_admin;

-- What shipped (issue 18): audit/store/pg_rules.py, installed by `device-audit team roles`, with
-- `recorded_by` as schema version 10 of both schemas (audit/store/schema.py, pg_schema.py). It
-- differs from this sketch where the sketch had holes:
--  * the derived chain columns are not free for anyone's relink: a transaction's changes to the
--    counted columns must balance its changes to status_changes, and every audit it touched
--    must count exactly as relink computes it (its own status, day and expiry; its place in the
--    chain), checked at commit by a deferred constraint trigger (statement-level triggers with
--    transition tables keep the bookkeeping, so an import pays a few queries per statement);
--  * the status rests on something: a receipt-backed audit's is its receipt's (a receipt row of
--    that audit, same signer, time and kind), another's its latest scan's, or a hold;
--  * another's audit may be held (status 'non_compliant', what an import meeting a second key
--    does) but nothing else of its facts changes; scans, findings, actions, exemptions and
--    receipts are added only to one's own audits;
--  * recorded_by is kept, not refused, on UPDATE (history move-to copies every column), and the
--    hold on a receipt is released only by the administrator or within the import that wrote it.
-- The sketch below is kept as it was written.

-- Row-level rule: an audit is changed only by who recorded it, and only until its receipt is
-- stored; any technician's relink may still move the derived columns of another's audit
-- (which audit is the latest, until when it held, what it counts in the dashboard), because
-- those are recomputed from the rows and a recount puts them right.
CREATE FUNCTION da_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF pg_has_role(session_user, 'da_admin', 'MEMBER') THEN
        RETURN NEW;
    END IF;
    IF (NEW.uid, NEW.origin, NEW.person_name, NEW.staff_id, NEW.technician, NEW.device_id,
        NEW.device_name, NEW.device_json, NEW.policy_id, NEW.policy_title, NEW.policy_sha256,
        NEW.deadline, NEW.status, NEW.day, NEW.started_at, NEW.at, NEW.scanned_at,
        NEW.exemption_expires, NEW.receipt_uid, NEW.receipt_kind, NEW.signer, NEW.attested_at,
        NEW.search, NEW.connection, NEW.assurance, NEW.trust_note, NEW.recorded_by)
       IS NOT DISTINCT FROM
       (OLD.uid, OLD.origin, OLD.person_name, OLD.staff_id, OLD.technician, OLD.device_id,
        OLD.device_name, OLD.device_json, OLD.policy_id, OLD.policy_title, OLD.policy_sha256,
        OLD.deadline, OLD.status, OLD.day, OLD.started_at, OLD.at, OLD.scanned_at,
        OLD.exemption_expires, OLD.receipt_uid, OLD.receipt_kind, OLD.signer, OLD.attested_at,
        OLD.search, OLD.connection, OLD.assurance, OLD.trust_note, OLD.recorded_by) THEN
        RETURN NEW;  -- only the derived chain columns change: anyone's relink
    END IF;
    IF OLD.recorded_by <> session_user THEN
        RAISE EXCEPTION 'audit % was recorded by %, not by %', OLD.id, OLD.recorded_by, session_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.receipt_uid IS NOT NULL AND OLD.origin = 'imported' THEN
        -- the import's own transaction sets trust_note/assurance after inserting: allowed
        IF (NEW.status, NEW.receipt_uid, NEW.signer, NEW.attested_at, NEW.day)
           IS DISTINCT FROM (OLD.status, OLD.receipt_uid, OLD.signer, OLD.attested_at, OLD.day) THEN
            RAISE EXCEPTION 'audit % rests on a signed receipt and cannot be changed', OLD.id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    RETURN NEW;
END $$;
ALTER FUNCTION da_audit_guard() OWNER TO da_owner;
CREATE TRIGGER audits_guard BEFORE UPDATE ON audits FOR EACH ROW EXECUTE FUNCTION da_audit_guard();

-- Inserted rows name who wrote them, whatever the insert says (a trigger, not row-level security:
-- PostgreSQL refuses COPY into a table with row-level security, and the import COPYs).
CREATE FUNCTION da_recorded_by() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.recorded_by := session_user;
    RETURN NEW;
END $$;
ALTER FUNCTION da_recorded_by() OWNER TO da_owner;
CREATE TRIGGER audits_recorded_by BEFORE INSERT ON audits FOR EACH ROW EXECUTE FUNCTION da_recorded_by();

-- A witnessed receipt is one signed by an enrolled, unrevoked technician key: the database checks
-- it, so a technician's own session cannot mark an audit witnessed.
CREATE FUNCTION da_witnessed_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.assurance = 'witnessed' AND NOT EXISTS (
        SELECT 1 FROM technicians t WHERE t.fingerprint = NEW.signer AND t.revoked_at IS NULL
    ) THEN
        RAISE EXCEPTION 'audit % is not signed by an enrolled technician key', NEW.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;
ALTER FUNCTION da_witnessed_guard() OWNER TO da_owner;
CREATE TRIGGER audits_witnessed BEFORE INSERT OR UPDATE OF assurance, signer ON audits
    FOR EACH ROW EXECUTE FUNCTION da_witnessed_guard();

-- The compliance office's sessions are read-only too: set on each office LOGIN role when it is
-- made (a group role's settings do not pass to its members), e.g.
--   CREATE ROLE office_cat LOGIN IN ROLE da_office; ALTER ROLE office_cat SET default_transaction_read_only = on;
