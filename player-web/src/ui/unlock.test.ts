import { describe, expect, it } from 'vitest';
import type { Profile } from '../api/types';
import { proofNeeded } from './unlock';

const profile = (id: string, extra: Partial<Profile> = {}): Profile => ({
  id,
  name: id,
  isKids: false,
  maturityLevel: 4,
  language: 'en',
  avatarUrl: null,
  locked: false,
  ...extra,
});

describe('proofNeeded (what selectProfile will ask for)', () => {
  const kid = profile('kid', { isKids: true, maturityLevel: 2 });
  const adult = profile('adult');
  const locked = profile('locked', { locked: true });

  it('asks for the PIN of a locked profile, from anywhere', () => {
    expect(proofNeeded(locked, null)).toBe('pin');
    expect(proofNeeded(locked, adult)).toBe('pin');
    expect(proofNeeded(locked, kid)).toBe('pin');
  });

  it('asks for the account password to leave a kids profile for a grown-up one', () => {
    expect(proofNeeded(adult, kid)).toBe('password');
    expect(proofNeeded(profile('kid2', { isKids: true }), kid)).toBeNull();
  });

  it('asks nothing otherwise, nor to stay on the active profile', () => {
    expect(proofNeeded(adult, null)).toBeNull();
    expect(proofNeeded(kid, adult)).toBeNull();
    expect(proofNeeded({ ...locked }, locked)).toBeNull();
  });
});
