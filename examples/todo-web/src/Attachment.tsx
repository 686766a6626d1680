import { useEffect, useState } from 'react';
import { thumbnailUrl, type TodoDoc } from './hearth';

/** A todo's attachment: its thumbnail (made by the server), or a file picker when there is none. */
export function Attachment({ todo, onPick }: { todo: TodoDoc; onPick: (file: File) => void }) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    setSrc(null);
    if (todo.attachment) void thumbnailUrl(todo.attachment).then(setSrc, () => setSrc(null));
  }, [todo.attachment]);

  if (todo.attachment) return src ? <img className="thumb" src={src} alt={`Attachment of ${todo.title}`} /> : null;
  return (
    <label>
      Attach
      <input
        type="file"
        accept="image/*"
        aria-label={`Attach a picture to ${todo.title}`}
        hidden
        onChange={(e) => e.target.files?.[0] && onPick(e.target.files[0])}
      />
    </label>
  );
}
