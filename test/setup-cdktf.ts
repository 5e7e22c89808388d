// cdktf's jest matchers (toHaveResourceWithProperties, ...) for the Kubernetes tests, and their types.
import { Testing } from 'cdktf';
import 'cdktf/lib/testing/adapters/jest';

Testing.setupJest();
