/** A dependency /readyz checks: a name, which engine serves it, and a check that throws when down. */
export interface ReadinessCheck {
  name: string;
  engine: string;
  check: () => Promise<void>;
}
