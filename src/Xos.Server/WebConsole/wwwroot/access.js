// The Access area: the signed-in account's IAM users, groups, roles and managed policies (#/access/...). The server
// decides what the key may do: a page it may not use shows IAM's AccessDenied.
import { iamUsersPage, iamUserPage } from './access-users.js';
import { iamGroupsPage, iamGroupPage, iamRolesPage, iamRolePage } from './access-groups-roles.js';
import { iamPoliciesPage, iamPolicyPage } from './access-policies.js';

export function accessPage(page, section, name, session) {
  switch (section) {
    case 'user': return iamUserPage(page, name);
    case 'groups': return iamGroupsPage(page);
    case 'group': return iamGroupPage(page, name);
    case 'roles': return iamRolesPage(page, session.canonicalId);
    case 'role': return iamRolePage(page, name);
    case 'policies': return iamPoliciesPage(page);
    case 'policy': return iamPolicyPage(page, name);
    default: return iamUsersPage(page);
  }
}
