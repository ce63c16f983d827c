-- Scan ledger transparency (issue 14): checkpoints as C2SP signed notes and the witness cosignatures they
-- collect. The older signature column stays (it signs the voketag-ledger-v1 text, checked by
-- voketag-ledger-verify); note_signature is the Ed25519 signature of "<origin>\n<size>\n<base64 root>\n".
ALTER TABLE scan_ledger_checkpoints
    ADD COLUMN origin text,
    ADD COLUMN note_signature bytea;

-- One cosignature per witness and checkpoint: the signature line exactly as the witness sent it.
CREATE TABLE scan_ledger_cosignatures (
    tree_size bigint NOT NULL REFERENCES scan_ledger_checkpoints (tree_size),
    witness text NOT NULL,
    line text NOT NULL,
    signed_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tree_size, witness)
);
