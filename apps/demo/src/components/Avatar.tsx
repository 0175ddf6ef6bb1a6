/** A type alias, not an interface, so it fits the protocol's JSON `user_info` type. */
export type AvatarInfo = {
  readonly name: string;
  readonly initials?: string;
  readonly color?: string;
};

function initialsOf(name: string): string {
  return name
    .split(/\s+/)
    .map((part) => part[0] ?? '')
    .join('')
    .slice(0, 2)
    .toUpperCase();
}

export function Avatar({ info, typing = false }: { info: AvatarInfo; typing?: boolean }) {
  return (
    <span
      className={`avatar${typing ? ' avatar--typing' : ''}`}
      style={{ background: info.color ?? '#64748b' }}
      title={info.name}
      aria-label={info.name}
      role="img"
    >
      {info.initials ?? initialsOf(info.name)}
    </span>
  );
}
