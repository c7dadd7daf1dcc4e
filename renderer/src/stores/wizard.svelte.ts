/**
 * The wizard's state, shared by its step components: the draft, the errors
 * per field, the current step. One wizard at a time (it is one screen).
 */
import type { BuildResult, FormModel } from '../../../proxy/control/contract.ts';
import {
  ALGORITHMS, backendDraft, checkStep, createsBackends, editsOf, fieldOfProblem, frontendDraft, listenReasonIsAddress, newSite, stepOfField, stepsFor, syncBackends,
  type FieldErrors, type SiteDraft, type SiteKind, type StepId, type WizardMode,
} from '../lib/wizard.ts';
import { control, type UiError } from '../transport/index.ts';
import { configFile } from './config.svelte.ts';
import { forgetWizard, readWizard, saveWizard, tabStorage } from '../lib/wizard-saved.ts';
import { certsToTakeBack, frontendsUsingCert } from '../lib/certs.ts';

class Wizard {
  mode = $state.raw<WizardMode>({ kind: 'new' });
  draft = $state<SiteDraft>(newSite('http'));
  errors = $state<FieldErrors>({});
  /** The passphrase of an imported PEM's encrypted key: kept here, never in the draft (which is saved to the tab's storage). */
  importPass = $state('');
  step = $state<StepId>('what');
  /** A step's Next is waiting for the engine (listen check, certificate). */
  busy = $state(false);
  /** An answer that belongs to no field (the engine unreachable…). */
  failure = $state.raw<UiError | null>(null);
  build = $state.raw<BuildResult | null>(null);
  /** Set when the thing to edit does not exist. */
  missing = $state('');
  /**
   * The draft has been worked on and not applied yet: coming back to the same
   * wizard (after a look at another screen, or the browser's Back) resumes it
   * instead of starting over. `resumed` says so on the screen.
   */
  private unfinished = $state(false);
  resumed = $state(false);
  /**
   * What the Servers step's Test found, by the `address:port` it tested (a result
   * belongs to that address, not to a row: an edited address has none). Review
   * warns about the servers of the draft that did not answer.
   */
  probes = $state<Record<string, Probe>>({});

  readonly model = $derived<FormModel | null>(configFile.state?.model ?? null);
  /**
   * The steps as they were when the draft went to Apply: once applied, the backends it created exist,
   * and the Servers, Balancing and Health steps must not vanish from the list under the outcome.
   */
  private appliedSteps = $state<StepId[] | null>(null);
  readonly steps = $derived(this.appliedSteps ?? stepsFor(this.mode, this.draft.kind,
    this.mode.kind === 'new' ? createsBackends(this.draft, this.model) : this.mode.kind === 'frontend' && this.draft.backends.length > 0));

  /**
   * Opens the wizard for `mode`: resumes the unfinished draft of the same mode,
   * else (or with `fresh`) starts over from the running configuration.
   */
  async begin(mode: WizardMode, fresh = false): Promise<void> {
    this.replacingCert = undefined;
    this.appliedSteps = null;
    if (!fresh && this.unfinished && JSON.stringify(mode) === JSON.stringify(this.mode)) {
      this.resumed = true;
      configFile.clearOutcome();
      await configFile.load();
      return;
    }
    // The page was reloaded half-way: the draft this tab kept resumes.
    const saved = fresh || this.unfinished ? undefined : readWizard(tabStorage(), mode);
    if (saved) {
      this.mode = mode;
      this.draft = saved.draft;
      this.errors = {};
      this.failure = null;
      this.build = null;
      this.missing = '';
      configFile.clearOutcome();
      await configFile.load();
      this.step = this.steps.includes(saved.step) ? saved.step : this.steps[0]!;
      this.unfinished = true;
      this.resumed = true;
      return;
    }
    // Starting over throws the draft away, as Cancel does: what it stored goes with it.
    if (this.unfinished) void this.takeBackCerts(this.draft.storedCerts);
    forgetWizard(tabStorage());
    this.importPass = '';
    this.unfinished = false;
    this.resumed = false;
    this.probes = {};
    this.mode = mode;
    this.errors = {};
    this.failure = null;
    this.build = null;
    this.missing = '';
    configFile.clearOutcome();
    const state = await configFile.load();
    const model = state?.model;
    if (mode.kind === 'new') {
      this.draft = newSite('http', model);
    } else if (mode.kind === 'frontend') {
      const form = model?.frontends.find((f) => f.name === mode.name);
      if (!form) this.missing = `There is no frontend named '${mode.name}'.`;
      else this.draft = frontendDraft(form);
    } else {
      const form = model?.backends.find((b) => b.name === mode.name);
      if (!form) this.missing = `There is no backend named '${mode.name}'.`;
      else this.draft = { ...newSite(form.mode === 'tcp' ? 'tcp' : 'http'), backends: [backendDraft(form, model)] };
    }
    this.step = this.steps[0]!;
  }

  /** Asks the engine whether it can connect to `address:port` now; the answer is kept for the row and for Review. */
  async probe(address: string, port: number): Promise<void> {
    const key = probeKey(address, String(port));
    this.probes[key] = { busy: true, text: 'Testing…' };
    const r = await control().probeServer({ address: address.trim(), port });
    if (!r.ok) this.probes[key] = { ok: false, text: r.error.message };
    else if (r.value.reachable) this.probes[key] = { ok: true, text: `Reachable (${Math.round(r.value.ms)} ms)` };
    else this.probes[key] = { ok: false, text: `Not reachable: ${r.value.reason ?? 'no answer'}` };
  }

  /** The servers of the draft whose last Test found them unreachable (at the address and port they have now). */
  get unreachable(): { backend: string; server: string; at: string; text: string }[] {
    const out: { backend: string; server: string; at: string; text: string }[] = [];
    for (const b of this.draft.backends) {
      for (const s of b.servers) {
        const probe = this.probes[probeKey(s.address, s.port)];
        if (probe?.ok === false) out.push({ backend: b.name, server: s.name, at: `${s.address.trim()}:${s.port.trim()}`, text: probe.text });
      }
    }
    return out;
  }

  setKind(kind: SiteKind): void {
    const d = this.draft;
    const fresh = newSite(kind, this.model);
    const before = newSite(d.kind, this.model);
    // Keep what was typed; switch the defaults that depend on the kind.
    if (d.name === before.name) d.name = fresh.name;
    if (d.port === before.port) d.port = fresh.port;
    if (d.defaultBackend === before.defaultBackend) d.defaultBackend = fresh.defaultBackend;
    d.tls = fresh.tls;
    d.redirect = fresh.redirect;
    d.kind = kind;
    if (kind === 'tcp') d.rules = d.rules.filter((r) => r.kind === 'source-in' || r.kind === 'sni-is');
    else d.rules = d.rules.filter((r) => r.kind !== 'sni-is');
    for (const b of d.backends) {
      b.mode = kind === 'tcp' ? 'tcp' : 'http';
      // By path, parameter or header is HTTP's: a TCP service would balance round robin anyway.
      if (b.mode === 'tcp' && ALGORITHMS.some((a) => a.id === b.algorithm && a.http)) b.algorithm = 'roundrobin';
    }
  }

  clearError(field: string): void {
    if (!(field in this.errors)) return;
    const { [field]: _gone, ...rest } = this.errors;
    this.errors = rest;
  }

  stepErrors(step: StepId): string[] {
    return Object.keys(this.errors).filter((f) => stepOfField(f, this.mode) === step);
  }

  go(step: StepId): void {
    // Only a step of this form: an edited frontend has no What step to change its kind on.
    if (!this.steps.includes(step)) return;
    this.step = step;
    this.failure = null;
  }

  back(): void {
    const i = this.steps.indexOf(this.step);
    if (i > 0) this.go(this.steps[i - 1]!);
  }

  /** Checks the step (locally, then with the engine where needed) and moves on when it is right. */
  async next(): Promise<boolean> {
    const step = this.step;
    const local = checkStep(step, this.draft, this.model, this.mode);
    // Errors of other steps stay; this step's are replaced.
    const others = Object.fromEntries(Object.entries(this.errors).filter(([f]) => stepOfField(f, this.mode) !== step));
    this.errors = { ...others, ...local };
    this.failure = null;
    if (Object.keys(local).length > 0) return false;
    this.busy = true;
    try {
      const ok = await this.remoteCheck(step);
      if (!ok) return false;
    } finally {
      this.busy = false;
    }
    this.unfinished = true;
    if (step === 'routing' && this.mode.kind !== 'backend') syncBackends(this.draft, this.model);
    const i = this.steps.indexOf(step);
    if (i < this.steps.length - 1) this.go(this.steps[i + 1]!);
    return true;
  }

  /** Safe apply of the review's text; applied, the next visit starts over (and the step list stays as it was). */
  async apply(text: string, summary: string | undefined): Promise<void> {
    this.appliedSteps = [...this.steps];
    await configFile.apply(text, 'wizard', summary);
    if (configFile.outcome?.outcome !== 'applied') {
      this.appliedSteps = null;
      return;
    }
    this.unfinished = false;
    forgetWizard(tabStorage());
  }

  /** Something was entered and not applied yet (Cancel asks before it throws that away). */
  get hasWork(): boolean {
    return this.unfinished;
  }

  /** Cancel: the draft is thrown away, here and in the tab; the next visit starts over. */
  discard(): void {
    this.unfinished = false;
    this.resumed = false;
    forgetWizard(tabStorage());
    void this.takeBackCerts(this.draft.storedCerts);
  }

  /** Notes a certificate file this wizard stored (Cancel takes it back unless a site uses it). */
  private storedHere(path: string): void {
    const d = this.draft;
    if (!(d.storedCerts ?? []).includes(path)) d.storedCerts = [...(d.storedCerts ?? []), path];
  }

  /**
   * Removes the certificates a thrown-away draft stored that no site of the running configuration
   * (loaded now) uses. Best effort: what cannot be removed stays listed under Certificates.
   */
  private async takeBackCerts(paths: readonly string[] | undefined): Promise<void> {
    if (!paths || paths.length === 0) return;
    const [running, stored] = await Promise.all([control().getConfig(), control().certList()]);
    if (!running.ok || !stored.ok) return;
    for (const name of certsToTakeBack(paths, stored.value.certs, running.value.model)) await control().certRemove(name);
  }

  /** Keeps an unfinished draft for the tab to resume after a reload (the wizard screen calls it on every change). */
  keepForReload(): void {
    if (this.unfinished) saveWizard(tabStorage(), { mode: this.mode, draft: $state.snapshot(this.draft), step: this.step });
  }

  private setError(field: string, message: string): false {
    this.errors = { ...this.errors, [field]: message };
    return false;
  }

  private async remoteCheck(step: StepId): Promise<boolean> {
    const d = this.draft;
    const own = this.mode.kind === 'frontend' ? this.mode.name : undefined;
    if (step === 'listen' && d.port !== '') {
      const r = await control().checkListen({ address: d.address.trim(), port: Number(d.port), ...(own ? { frontend: own } : {}) });
      if (!r.ok) return this.fail(r.error);
      if (!r.value.free && !r.value.usedBy && listenReasonIsAddress(r.value.reason)) {
        const why = /ENOTFOUND|EAI_AGAIN/.test(r.value.reason ?? '') ? 'the name cannot be resolved' : r.value.reason;
        return this.setError('listen.address', `Loadstar cannot listen on ${d.address.trim()}: ${why}. Use an address of this machine, or leave it empty for every address.`);
      }
      if (!r.value.free) return this.setError('listen.port', portTaken(d.port, r.value.usedBy, r.value.reason));
    }
    if (step === 'tls' && d.tls !== 'none') {
      if (d.redirect) {
        const r = await control().checkListen({ address: d.address.trim(), port: Number(d.httpPort), ...(own ? { frontend: own } : {}) });
        if (!r.ok) return this.fail(r.error);
        if (!r.value.free) return this.setError('tls.httpPort', portTaken(d.httpPort, r.value.usedBy, r.value.reason));
      }
      if (d.tls === 'local-ca' && !(await this.issueCertificate())) return false;
      if (d.tls === 'import') {
        // The store replaces a certificate of the same name: one stored before is not overwritten from here
        // (the one this wizard stored on an earlier Next is its own).
        const stored = await control().certList();
        const same = stored.ok ? stored.value.certs.find((c) => c.name === d.importName) : undefined;
        if (same && same.path !== d.certPath) {
          return this.setError('tls.importName', `A certificate named ${same.name} is stored already (${same.subject}, until ${same.notAfter.slice(0, 10)}). Choose another name, or choose it under "A stored certificate".`);
        }
        const r = await control().certImport({ name: d.importName, pems: [d.importPem], ...(this.importPass ? { passphrase: this.importPass } : {}) });
        if (!r.ok) {
          const keyLocked = r.error.code === 'LS_ERR_CERT_KEY_ENCRYPTED' || r.error.code === 'LS_ERR_CERT_KEY_PASSPHRASE';
          return this.setError(keyLocked ? 'tls.passphrase' : 'tls.pem', r.error.message.replace(/give its passphrase \(CLI: [^)]*\)/, 'type its passphrase in this field'));
        }
        d.certPath = r.value.path;
        this.storedHere(r.value.path);
      }
      if (d.clientCerts !== 'off') return this.clientCa();
    }
    return true;
  }

  /** The CA file client certificates are checked against: the local CA's certificate (created when there is none), or the CA imported now. */
  private async clientCa(): Promise<boolean> {
    const d = this.draft;
    if (d.clientCaChoice === 'local') {
      const ca = await control().certCaStatus();
      if (!ca.ok) return this.fail(ca.error);
      let path = ca.value?.certPath;
      if (path === undefined) {
        const init = await control().certCaInit({});
        if (!init.ok) return this.setError('tls.clientCa', `The local CA could not be created: ${init.error.message}`);
        path = init.value.certPath;
      }
      d.clientCaPath = path;
    } else if (d.clientCaChoice === 'import') {
      const r = await control().certTrustImport({ name: d.clientCaName, pem: d.clientCaPem });
      if (!r.ok) return this.setError(r.error.code === 'LS_ERR_CERT_BAD_NAME' ? 'tls.clientCaName' : 'tls.clientCaPem', r.error.message);
      d.clientCaPath = r.value.path;
    }
    return true;
  }

  /** A certificate from the local CA (created first when there is none) for the names entered. */
  /** The stored certificate the user was told the local CA's replaces (asked once). */
  private replacingCert: string | undefined;

  private async issueCertificate(): Promise<boolean> {
    const d = this.draft;
    const names = d.certNames.split(/[\s,]+/).filter((w) => w !== '');
    const ip = names.filter((n) => /^[0-9.]+$|:/.test(n));
    const dns = names.filter((n) => !ip.includes(n));
    const ca = await control().certCaStatus();
    if (!ca.ok) return this.fail(ca.error);
    // Issued under a free name (or the name this wizard issued before), it is this wizard's: Cancel takes it back.
    const before = await control().certList();
    const taken = before.ok ? before.value.certs.find((c) => c.name === d.name) : undefined;
    // The store replaces a certificate of the same name: a stored one that is neither this wizard's
    // nor only the edited site's own is asked about first (the second Next answers yes).
    if (taken && !(d.storedCerts ?? []).includes(taken.path) && this.replacingCert !== taken.path) {
      const users = frontendsUsingCert(this.model, taken.path).filter((f) => !(this.mode.kind === 'frontend' && f === this.mode.name));
      const own = this.mode.kind === 'frontend' && frontendsUsingCert(this.model, taken.path).includes(this.mode.name);
      if (!own || users.length > 0) {
        this.replacingCert = taken.path;
        return this.setError('tls.names', `A certificate named ${d.name} is stored already (${taken.subject}${users.length ? `, used by ${users.join(', ')}` : ''}): Next again replaces it with one from the local CA for these names. To keep it, choose "A stored certificate" above, or name the site differently.`);
      }
    }
    if (ca.value === null) {
      const init = await control().certCaInit({});
      if (!init.ok) return this.setError('tls.names', `The local CA could not be created: ${init.error.message}`);
    }
    const issued = await control().certIssue({ name: d.name, dns, ip });
    if (!issued.ok) return this.setError('tls.names', issued.error.message);
    d.certPath = issued.value.path;
    if (before.ok && (!taken || (d.storedCerts ?? []).includes(taken.path))) this.storedHere(issued.value.path);
    return true;
  }

  private fail(error: UiError): false {
    this.failure = error;
    return false;
  }

  /** Builds the text the draft writes; engine problems go back to their step and field. */
  async review(): Promise<BuildResult | null> {
    const { edits, owners } = editsOf(this.draft, this.mode, this.model);
    this.build = null;
    const r = await control().buildConfig(edits);
    if (!r.ok) {
      this.failure = r.error;
      return null;
    }
    this.build = r.value;
    if (r.value.problems.length > 0) {
      const errors: FieldErrors = { ...this.errors };
      for (const p of r.value.problems) errors[fieldOfProblem(p, owners)] = p.message;
      this.errors = errors;
    }
    return r.value;
  }
}

/** A Test's outcome: `ok` undefined while it runs. */
export interface Probe { busy?: boolean; ok?: boolean; text: string }

export function probeKey(address: string, port: string): string {
  return `${address.trim()}:${port.trim()}`;
}

function portTaken(port: string, usedBy: string | undefined, reason: string | undefined): string {
  if (usedBy) return `Port ${port} is already used by ${/\s/.test(usedBy) ? usedBy : `the frontend '${usedBy}'`}. Choose another port.`;
  return `Port ${port} cannot be used: ${reason ?? 'another program listens on it'}. Choose another port.`;
}

export const wizard = new Wizard();
