import { Anchor } from '@mantine/core';
import { Link } from 'react-router';
import { Empty } from '../ui/feedback';
import { PageHeader } from '../ui/PageHeader';

export default function NotFound() {
  return (
    <>
      <PageHeader title="Page not found" />
      <Empty title="There is no page at this address">
        <Anchor component={Link} to="/apps">
          Go to the apps
        </Anchor>
      </Empty>
    </>
  );
}
