-- The scan rollup trigger with static statements instead of EXECUTE: PL/pgSQL caches the plans of static
-- statements per session, so a scan transaction no longer plans six aggregate upserts each time. The
-- function body is built from admin_scan_rollup_sql (backfills use it too): a migration that changes that
-- function must repeat this block (tests/test_migrations.py checks that the two agree).
DO $$
BEGIN
    EXECUTE format(
        'CREATE OR REPLACE FUNCTION admin_scan_rollup() RETURNS trigger LANGUAGE plpgsql AS %L',
        'BEGIN ' || admin_scan_rollup_sql('new_scans') || ' RETURN NULL; END'
    );
END $$;
