/** SQL for deal registrations and the solution incentive catalogue (no rules here). */
import type Database from 'better-sqlite3';
import type { ReviewStatus } from '../../domain/index.js';

/** A registration as the store keeps it and serves it (the body of `registrations/{id}`). */
export interface Registration {
  id: string;
  referralId: string;
  engagementId: string;
  status: ReviewStatus;
  /** Microsoft's reason for the current status (what to fix when actionRequired; why when failed). */
  statusReason: string | null;
  customerContractName: string;
  solution: { id: string; name: string | null; incentiveProgram: string };
  notes: string | null;
  warnings: { code: string; message: string }[];
  submittedDateTime: string;
  updatedDateTime: string;
  /** When validation completed (approved or failed): the registration milestone is closed. */
  closedDateTime: string | null;
  history: { status: ReviewStatus; at: string; reason: string | null; by: 'partner' | 'microsoft' }[];
}

export interface StoredRegistration {
  registration: Registration;
  orgId: string;
  /** When Microsoft's reviewer next acts (ISO), null once closed. */
  due: string | null;
}

export class RegistrationRepository {
  private readonly stmts;

  constructor(db: Database.Database) {
    this.stmts = {
      incentive: db.prepare('SELECT program FROM solution_incentives WHERE solution_id = ?'),
      setIncentive: db.prepare('INSERT OR REPLACE INTO solution_incentives (solution_id, program) VALUES (?, ?)'),
      dropIncentive: db.prepare('DELETE FROM solution_incentives WHERE solution_id = ?'),
      get: db.prepare('SELECT org_id, due, body FROM registrations WHERE id = ?'),
      byReferral: db.prepare('SELECT org_id, due, body FROM registrations WHERE referral_id = ?'),
      upsert: db.prepare(`INSERT INTO registrations (id, referral_id, org_id, status, due, body) VALUES (@id, @referral_id, @org_id, @status, @due, @body)
        ON CONFLICT(id) DO UPDATE SET status = excluded.status, due = excluded.due, body = excluded.body`),
      due: db.prepare('SELECT org_id, due, body FROM registrations WHERE due IS NOT NULL AND due <= ? ORDER BY due, id'),
    };
  }

  incentiveOf(solutionId: string): string | undefined {
    return (this.stmts.incentive.get(solutionId) as { program: string } | undefined)?.program;
  }
  setIncentive(solutionId: string, program: string | null): void {
    if (program) this.stmts.setIncentive.run(solutionId, program);
    else this.stmts.dropIncentive.run(solutionId);
  }

  get(id: string): StoredRegistration | undefined {
    return this.row(this.stmts.get.get(id));
  }
  byReferral(referralId: string): StoredRegistration | undefined {
    return this.row(this.stmts.byReferral.get(referralId));
  }
  save(s: StoredRegistration): void {
    const r = s.registration;
    this.stmts.upsert.run({ id: r.id, referral_id: r.referralId, org_id: s.orgId, status: r.status, due: s.due, body: JSON.stringify(r) });
  }
  /** Registrations whose next review move is due at `nowIso`. */
  due(nowIso: string): StoredRegistration[] {
    return (this.stmts.due.all(nowIso) as Row[]).map((r) => this.row(r)!);
  }

  private row(r: unknown): StoredRegistration | undefined {
    const x = r as Row | undefined;
    return x && { registration: JSON.parse(x.body) as Registration, orgId: x.org_id, due: x.due };
  }
}

interface Row {
  org_id: string;
  due: string | null;
  body: string;
}
