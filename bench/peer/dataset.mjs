/**
 * The data both servers get, the same through each API: `GameScore` documents (Parse's own
 * tutorial class) with a player name, a score, one of CATEGORIES categories and a flag; an index
 * on (category, score) in both. Public documents go to GameScore; documents owned by the
 * signed-in users (owner rules in Hearth, an ACL per user in Parse) go to OwnedScore.
 */
export const CATEGORIES = 100;
export const PASSWORD = 'a long enough bench password 1!';

/** A 32-bit hash of i (mulberry32's mix), so categories and scores do not follow i's residues. */
function mix(i) {
  let t = (i + 0x6d2b79f5) | 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}

/**
 * Document i of the seed: deterministic; category and score are hashed from i, so each user's
 * documents (i modulo the number of users) spread over every category.
 */
export function seedDoc(i) {
  const h = mix(i);
  return {
    playerName: `player${i % 1000}`,
    score: h % 100_000,
    category: `c${Math.floor(h / 100_000) % CATEGORIES}`,
    cheatMode: i % 2 === 0,
  };
}

/** A new document for the create workloads. */
export function randomDoc() {
  return seedDoc(Math.floor(Math.random() * 1_000_000));
}

export const randomCategory = () => `c${Math.floor(Math.random() * CATEGORIES)}`;
export const pick = (list) => list[Math.floor(Math.random() * list.length)];
