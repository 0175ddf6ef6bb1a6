import { hashPassword, verifyPassword } from './passwords';

/** What the browser may see of a user. */
export interface PublicUser {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly initials: string;
  readonly color: string;
}

interface StoredUser extends PublicUser {
  readonly passwordHash: string;
}

/** The seeded accounts (like Laravel's factory users, the password is `password`). */
export const SEED_USERS: ReadonlyArray<PublicUser & { readonly password: string }> = [
  {
    id: '1',
    name: 'Ada Lovelace',
    email: 'ada@example.com',
    initials: 'AL',
    color: '#7c3aed',
    password: 'password',
  },
  {
    id: '2',
    name: 'Grace Hopper',
    email: 'grace@example.com',
    initials: 'GH',
    color: '#0891b2',
    password: 'password',
  },
  {
    id: '3',
    name: 'Alan Turing',
    email: 'alan@example.com',
    initials: 'AT',
    color: '#16a34a',
    password: 'password',
  },
];

/** In-memory user table: lost on restart, which is fine for a demo (a Laravel app uses its database). */
export class UserDirectory {
  private constructor(private readonly users: ReadonlyArray<StoredUser>) {}

  static async seeded(seed = SEED_USERS): Promise<UserDirectory> {
    const users = await Promise.all(
      seed.map(async ({ password, ...user }) => ({ ...user, passwordHash: await hashPassword(password) })),
    );
    return new UserDirectory(users);
  }

  /** The user if the email and password match; the hash is checked even for unknown emails. */
  async attempt(email: string, password: string): Promise<PublicUser | undefined> {
    const user = this.users.find((u) => u.email === email.trim().toLowerCase());
    // Verify against some hash anyway so an unknown email costs as much as a wrong password.
    const hash = user?.passwordHash ?? this.users[0]?.passwordHash ?? '';
    const ok = await verifyPassword(password, hash);
    return ok && user ? toPublic(user) : undefined;
  }

  find(id: string): PublicUser | undefined {
    const user = this.users.find((u) => u.id === id);
    return user ? toPublic(user) : undefined;
  }

  all(): PublicUser[] {
    return this.users.map(toPublic);
  }
}

function toPublic({ passwordHash: _hash, ...user }: StoredUser): PublicUser {
  return user;
}
