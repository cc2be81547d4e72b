// A button for one command of the registry (actions.ts): it says the action's label (its busy text
// while it runs), is disabled when the action is not enabled, and runs it. It subscribes to those two
// booleans only, so store updates that change neither (a training step) leave it alone.
import { memo, type ButtonHTMLAttributes } from 'react';
import { actions, isEnabled, runAction, type Action, type ActionId, type ArgOf } from './actions.ts';
import { useStudio } from './store.ts';

type ArgProp<K extends ActionId> =
  ArgOf<K> extends void ? { arg?: never } : undefined extends ArgOf<K> ? { arg?: ArgOf<K> } : { arg: ArgOf<K> };

type Props<K extends ActionId> = Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'type' | 'onClick' | 'children'> & {
  action: K;
  /** what the button says in place of the label, where the context words it better */
  text?: string;
  /** a symbol shown in place of the label, which becomes the button's accessible name */
  icon?: string;
} & (
    | (ArgProp<K> & { onRun?: never })
    /** what a click does in place of running the action: checks of a form's input, which then run it */
    | { onRun: () => void; arg?: never }
  );

const run = runAction as (id: ActionId, arg?: unknown) => Promise<void>;

function ActionButtonOf<K extends ActionId>({ action, arg, text, icon, onRun, disabled, ...rest }: Props<K>) {
  const enabled = useStudio((s) => isEnabled(action, s));
  const busy = useStudio((s) => !!s.busy[action]);
  const { label, busyLabel } = actions[action] as Action<unknown>;
  return (
    <button
      type="button"
      disabled={!enabled || disabled}
      aria-label={icon ? label : undefined}
      {...rest}
      onClick={onRun ?? (() => void run(action, arg))}
    >
      {icon ?? (busy && busyLabel ? busyLabel : (text ?? label))}
    </button>
  );
}

// a row that re-renders (a run's row at each step) passes the same props to its button
export const ActionButton = memo(ActionButtonOf) as typeof ActionButtonOf;
