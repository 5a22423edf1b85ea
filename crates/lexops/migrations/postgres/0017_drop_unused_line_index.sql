-- No query reads invoice lines by timekeeper and date (the billing history is read by firm and
-- period through invoices_vendor_period, then by invoice): the index only cost every line insert.
DROP INDEX IF EXISTS invoice_lines_tk_date;
