-- Termination for convenience (notice days, and the months after the effective date before it
-- may be used) and an option window (exercisable between N and M days before the current term
-- ends): key dates computed from them like the renewal dates.
ALTER TABLE contracts ADD COLUMN termination_notice_days INTEGER;
ALTER TABLE contracts ADD COLUMN termination_after_months INTEGER;
ALTER TABLE contracts ADD COLUMN option_from_days INTEGER;
ALTER TABLE contracts ADD COLUMN option_to_days INTEGER;
