-- Indexes the intake and review paths need at scale: flags by line (totals are recomputed per
-- line), invoices of a firm by billing period (duplicate and daily-hours history), lines by date.
CREATE INDEX invoice_flags_line ON invoice_flags(line_id);
CREATE INDEX invoices_vendor_period ON invoices(vendor_id, billing_end, billing_start);
CREATE INDEX invoices_matter_date ON invoices(matter_id, invoice_date);
